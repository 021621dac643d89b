FROM debian:bookworm
COPY big-dataset.tar.gz /tmp/
RUN tar -xzf /tmp/big-dataset.tar.gz -C /data
RUN rm -rf /tmp/big-dataset.tar.gz
RUN wget -O /tmp/installer.sh https://example.com/install.sh
RUN sh /tmp/installer.sh
RUN rm /tmp/installer.sh
