FROM opensuse/leap:15.5
RUN zypper --non-interactive install -y curl
RUN zypper clean -a
