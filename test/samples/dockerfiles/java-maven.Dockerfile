FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /build
COPY . .
RUN mvn -B package -DskipTests
FROM eclipse-temurin:21-jre
COPY --from=build /build/target/app.jar /app.jar
ENTRYPOINT ["java","-jar","/app.jar"]
