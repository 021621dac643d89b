RUN echo hi
COPY . /
