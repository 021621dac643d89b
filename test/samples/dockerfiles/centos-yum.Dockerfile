FROM centos:7
RUN yum -y update
RUN yum install -y httpd
RUN yum clean all
COPY index.html /var/www/html/
EXPOSE 80
CMD ["/usr/sbin/httpd", "-D", "FOREGROUND"]
