-- zdm: recipe=add-column table=users column=slug type=text not-null=true contract-after=2.0.0
-- zdm: fill
'user-' || id
