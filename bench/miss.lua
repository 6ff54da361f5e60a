-- wrk script for bench/run.sh: the listing with a distinct `q` on every request, so that
-- no response could come from a cache keyed by URL. No event's text contains "zq", so
-- every search matches nothing: the hub still filters the published, upcoming events
-- by their search text (and counts them) and answers an empty page.
--
-- Usage: wrk -s bench/miss.lua 'http://HOST:PORT/api/v1/events?limit=20' -- TAG
-- TAG keeps the values of different runs apart (lower-case letters and digits).

local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  tag = args[1] or "run"
  counter = 0
  separator = string.find(wrk.path, "?", 1, true) and "&" or "?"
end

function request()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. separator .. "q=zq" .. tag .. "t" .. id .. "n" .. counter)
end
