drop index ${schema}.orders_customer_idx;
