FROM alpine
RUN echo a \
# comment
