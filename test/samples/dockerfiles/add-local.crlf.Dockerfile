FROM alpine
ADD entrypoint.sh /entrypoint.sh
ADD rootfs.tar.xz /
ADD conf/ /etc/conf/
ADD --chown=1000:1000 app.jar /app.jar
ENTRYPOINT ["/entrypoint.sh"]
