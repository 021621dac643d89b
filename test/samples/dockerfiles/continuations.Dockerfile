FROM ubuntu:22.04
RUN apt-get update \
 # comment inside a continuation
 && apt-get install -y --no-install-recommends \
      curl \

      wget \
 && rm -rf /var/lib/apt/lists/*
ENV A=1 \
    B="two words" \
    C='three'
LABEL org.opencontainers.image.title="x" \
      org.opencontainers.image.version="1.0"
