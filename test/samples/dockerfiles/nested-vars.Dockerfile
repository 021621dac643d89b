ARG A=${B:-${C:-deep}}
FROM alpine:${A}
ENV X=${Y:+${Z}}
WORKDIR ${X:-/w}/$A
COPY . ${UNSET}
RUN chown -R 1 ${UNSET}
