FROM ubuntu
COPY . /home/dev/project
RUN sudo -E chown -R dev /home/dev/project
RUN env DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata
