FROM alpine
COPY site /var/www
RUN find /var/www -type d -exec chmod 755 {} \; && find /var/www -type f -exec chmod 644 {} \;
RUN find /var/www -name '*.html' | xargs sed -i 's/foo/bar/'
