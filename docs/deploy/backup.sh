#!/bin/sh
# A backup of the database that DATABASE_URL names, in PostgreSQL's custom
# format (pg_dump -Fc: compressed, restored with pg_restore), into
# BACKUP_DIR; dumps older than BACKUP_KEEP_DAYS days are deleted, so data
# the app deleted is gone from the backups that many days later too.
# Restore: see docs/deployment.md, "Backup and restore".
set -eu

: "${DATABASE_URL:?DATABASE_URL must name the database (the environment file sets it)}"
dir="${BACKUP_DIR:-/var/backups/eserviceverkstad}"
keep="${BACKUP_KEEP_DAYS:-35}"
stamp="$(date +%Y-%m-%dT%H%M%S)"
umask 077  # the dump holds everything the database does

mkdir -p "$dir"
# Written under a temporary name first, so a failed dump never looks complete.
pg_dump --format=custom --file="$dir/eservice-$stamp.dump.partial" "$DATABASE_URL"
mv "$dir/eservice-$stamp.dump.partial" "$dir/eservice-$stamp.dump"
find "$dir" -maxdepth 1 -name 'eservice-*.dump' -mtime "+$keep" -delete
echo "Backup written: $dir/eservice-$stamp.dump"
