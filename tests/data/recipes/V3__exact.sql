-- zdm: recipe=change-type table=users column=amount to=amount_exact type=numeric(12,2) contract-after=2.0.0
-- zdm: up
amount::numeric(12,2) / 100
-- zdm: down
round(amount_exact * 100)::integer
