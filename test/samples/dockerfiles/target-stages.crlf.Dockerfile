FROM alpine AS base
RUN apk add python3
FROM base AS test
COPY . /src
RUN rm -rf /src/tests
FROM base AS prod
COPY --from=test /src /app
RUN chmod -R 700 /app
