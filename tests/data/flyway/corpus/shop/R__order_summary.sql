create or replace view ${schema}.order_summary as
select o.id, o.customer_id, o.status, o.total, count(l.*) as lines
from ${schema}.orders o left join ${schema}.order_line l on l.order_id = o.id
group by o.id;
