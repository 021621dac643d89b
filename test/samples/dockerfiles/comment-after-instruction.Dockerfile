FROM alpine # not a comment really
RUN echo # shell comment
  # indented comment
