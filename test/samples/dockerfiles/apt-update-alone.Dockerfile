FROM debian:11
RUN apt-get update
RUN apt-get install -y vim
RUN apt-get install -y git
