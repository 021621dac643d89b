FROM alpine
RUN echo "<<EOF is not special in quotes"
RUN cat <<<here
