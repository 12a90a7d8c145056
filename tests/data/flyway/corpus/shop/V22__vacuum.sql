vacuum analyze ${schema}.orders;
