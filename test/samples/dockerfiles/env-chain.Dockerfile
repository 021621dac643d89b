FROM alpine
ENV BASE=/opt
ENV APP=${BASE}/app
ENV DATA=${APP:-/fallback}/data
WORKDIR ${DATA}
COPY data.bin .
RUN chmod -R 600 ${DATA}
