FROM alpine
COPY --chown=1:1
RUN --mount=type=cache
