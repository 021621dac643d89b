# syntax=docker/dockerfile:1.5
FROM alpine
COPY --link --chmod=755 bin/ /usr/local/bin/
COPY --link . /app
RUN chown -R 1000:1000 /app
