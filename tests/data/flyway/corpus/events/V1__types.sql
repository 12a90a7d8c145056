create type severity as enum ('debug', 'info', 'warn', 'error');
