CREATE TABLE tasks (id bigint, title text, CONSTRAINT tasks_title_nn CHECK (title IS NOT NULL), done boolean CHECK (done IS NOT NULL));
