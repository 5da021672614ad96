-- Every request asks for a variant never asked before (a fresh edge per run).
counter = 0
request = function()
  counter = counter + 1
  local w = 64 + (counter % 4000)
  local q = 30 + math.floor(counter / 4000) % 60
  return wrk.format("GET", "/acme/photo.jpg?w=" .. w .. "&q=" .. q .. "&fm=webp")
end
