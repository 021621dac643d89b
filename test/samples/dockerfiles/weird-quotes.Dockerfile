FROM alpine
RUN echo "unterminated
RUN echo 'also
RUN echo `back
