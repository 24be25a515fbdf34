-- the round-trip limit
SELECT 1;
