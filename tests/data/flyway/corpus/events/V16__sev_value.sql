alter type severity add value if not exists 'fatal';
