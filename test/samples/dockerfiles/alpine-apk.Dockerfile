FROM alpine:3.19
RUN apk update
RUN apk add curl bash
RUN apk add --no-cache git
ADD https://example.com/tool.tar.gz /opt/
RUN tar -xzf /opt/tool.tar.gz -C /opt && rm /opt/tool.tar.gz
