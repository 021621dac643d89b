FROM nginx
COPY conf /etc/nginx/conf.d
RUN sed -i 's/80/8080/' /etc/nginx/conf.d/*.conf
