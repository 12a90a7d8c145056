-- zdm: recipe=set-not-null table=users column=nickname contract-after=2.0.0
-- Release 2.0.0 (bench-pgroll): pgroll's alter_column nullable: false with
-- its "up" expression, as a zdm recipe: 1.x rows and writes without a
-- nickname get 'none'.
-- zdm: up
coalesce(nickname, 'none')
