FROM fedora:40
RUN dnf install -y gcc make && dnf clean all
RUN dnf install -y python3
