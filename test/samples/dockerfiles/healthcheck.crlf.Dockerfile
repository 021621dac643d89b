FROM nginx:1.25
HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost/ || exit 1
STOPSIGNAL SIGQUIT
VOLUME ["/var/cache/nginx"]
EXPOSE 80 443
