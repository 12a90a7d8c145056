grant select on ${tenantTable} to ${appUser};
