-- zdm: transaction=off
CLUSTER;
CLUSTER VERBOSE users_pkey ON users;
