FROM debian
COPY data /srv/data
RUN setfacl -R -m u:www-data:rwx /srv/data
RUN chgrp -R staff /srv/data
