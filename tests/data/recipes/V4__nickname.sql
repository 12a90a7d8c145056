-- zdm: recipe=set-not-null table=users column=nickname contract-after=2.0.0
-- zdm: up
coalesce(nickname, 'none')
