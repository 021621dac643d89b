FROM node:20
ONBUILD COPY package.json /app/
ONBUILD RUN npm install
ONBUILD ADD . /app
