-- Run once by the postgres image on an empty data volume (/docker-entrypoint-initdb.d).
-- One database and one role per service: no service can read another's data.
-- The password equals the role name: for local docker-compose use only, never production.

CREATE ROLE gateway LOGIN PASSWORD 'gateway';
CREATE DATABASE gateway OWNER gateway;
-- PUBLIC may connect to (and make temp tables in) every new database by default; take it away.
REVOKE CONNECT, TEMPORARY ON DATABASE gateway FROM PUBLIC;

CREATE ROLE matching LOGIN PASSWORD 'matching';
CREATE DATABASE matching OWNER matching;
REVOKE CONNECT, TEMPORARY ON DATABASE matching FROM PUBLIC;

CREATE ROLE events LOGIN PASSWORD 'events';
CREATE DATABASE events OWNER events;
REVOKE CONNECT, TEMPORARY ON DATABASE events FROM PUBLIC;

CREATE ROLE notifications LOGIN PASSWORD 'notifications';
CREATE DATABASE notifications OWNER notifications;
REVOKE CONNECT, TEMPORARY ON DATABASE notifications FROM PUBLIC;

-- Since PostgreSQL 15 the public schema belongs to the database owner (pg_database_owner)
-- and PUBLIC may not create in it, so each role can migrate its own database and no other.
