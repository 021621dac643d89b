FROM alpine
RUN echo Ã(  ¡ ð(Œ¼
