DROP TABLE attachments;
DROP TABLE item_tags;
DROP TABLE items;
