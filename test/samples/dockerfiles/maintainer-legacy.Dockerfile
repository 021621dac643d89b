FROM ubuntu:14.04
MAINTAINER someone <someone@example.com>
ENV DEBIAN_FRONTEND noninteractive
RUN apt-get update && apt-get install -y nginx
ADD nginx.conf /etc/nginx/nginx.conf
