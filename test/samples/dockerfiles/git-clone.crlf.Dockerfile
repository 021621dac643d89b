FROM alpine/git AS src
RUN git clone https://github.com/example/repo.git /repo
RUN chmod -R a+rX /repo
FROM nginx
COPY --from=src /repo/public /usr/share/nginx/html
