FROM alpine
RUN echo a
RUN echo b
COPY . /app
RUN chown -R 1:1 /app
