ALTER TABLE accounts ADD PRIMARY KEY (id);
ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);
ALTER TABLE users ADD COLUMN external_id text UNIQUE;
