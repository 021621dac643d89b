FROM alpine
COPY ["src dir/file one.txt", "/dest dir/"]
ADD ["a.txt", "b.txt", "/multi/"]
RUN ["sh", "-c", "echo exec form"]
ENTRYPOINT ["sh", "-c"]
CMD ["echo $HOME"]
