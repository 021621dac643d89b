FROM php:8.3-fpm
RUN apt-get update
RUN apt-get install -y git unzip libzip-dev
RUN docker-php-ext-install zip
COPY --from=composer:2 /usr/bin/composer /usr/bin/composer
WORKDIR /var/www
COPY . .
RUN composer install --no-dev --optimize-autoloader
RUN chown -R www-data:www-data /var/www
