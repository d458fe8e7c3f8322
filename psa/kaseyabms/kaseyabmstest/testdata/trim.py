# Trims the BMS v2 OpenAPI file to the operations unlockbot calls.
# usage: python3 trim.py kaseya-bms-openapi-original.json bms-v2-trimmed.json
import json,sys
d=json.load(open(sys.argv[1]))
want={'/v2/security/authenticate':['post'],'/v2/security/refreshtoken':['post'],
'/v2/servicedesk/tickets/search':['post'],'/v2/servicedesk/tickets/{ticketId}':['get'],
'/v2/servicedesk/tickets':['post'],'/v2/servicedesk/tickets/{ticketId}/notes':['get','post'],
'/v2/servicedesk/tickets/{ticketId}/resolve':['post'],'/v2/system/lookup/{tableName}':['get'],
'/v2/crm/accounts/summary/{id}':['get'],'/v2/crm/contacts/search':['get']}
paths={}
for p,ms in want.items():
  paths[p]={m:d['paths'][p][m] for m in ms}
  # only application/json request bodies, json responses
  for m in ms:
    op=paths[p][m]
    rb=op.get('requestBody')
    if rb and 'application/json' in rb['content']:
      rb['content']={'application/json':rb['content']['application/json']}
    for code,r in op['responses'].items():
      if 'content' in r and 'application/json' in r['content']:
        r['content']={'application/json':r['content']['application/json']}
refs=set()
def walk(x):
  if isinstance(x,dict):
    for k,v in x.items():
      if k=='$ref':
        n=v.split('/')[-1]
        if n not in refs:
          refs.add(n); walk(d['components']['schemas'][n])
      else: walk(v)
  elif isinstance(x,list):
    for v in x: walk(v)
walk(paths)
out={'openapi':d['openapi'],'info':d['info'],'servers':d['servers'],'paths':paths,
'components':{'schemas':{n:d['components']['schemas'][n] for n in sorted(refs)},'securitySchemes':d['components']['securitySchemes']},
'security':d['security']}
json.dump(out,open(sys.argv[2],'w'),indent=2)
print(len(refs),sorted(refs))
