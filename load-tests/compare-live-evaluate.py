# Compares live compensations (JSON lines) with evaluate's compensations.csv: AUC, logloss, per-prediction gaps.
import sys, json, csv, math
# usage: compare.py compensations.jsonl evaluate/compensations.csv
live = {}
for line in open(sys.argv[1]):
    line=line.strip()
    if not line: continue
    c = json.loads(line)
    if c['requestId'] in live: live.setdefault('__dups',0); live['__dups']+=1
    live[c['requestId']] = c['compensatedScore']
dups = live.pop('__dups', 0)
rows = list(csv.DictReader(open(sys.argv[2])))
def auc(y, s):
    pairs = sorted(zip(s, y))
    # rank-based AUC with ties
    n = len(pairs); ranks=[0]*n; i=0
    while i<n:
        j=i
        while j+1<n and pairs[j+1][0]==pairs[i][0]: j+=1
        r=(i+j)/2+1
        for k in range(i,j+1): ranks[k]=r
        i=j+1
    pos=sum(1 for _,l in pairs if l==1); neg=n-pos
    sr=sum(r for r,(_,l) in zip(ranks,pairs) if l==1)
    return (sr-pos*(pos+1)/2)/(pos*neg)
def ll(y,s):
    e=1e-7; return -sum(l*math.log(min(max(p,e),1-e))+(1-l)*math.log(1-min(max(p,e),1-e)) for l,p in zip(y,s))/len(y)
y=[float(r['label']) for r in rows]; ev=[float(r['compensated']) for r in rows]; base=[float(r['score']) for r in rows]
missing=[r['requestId'] for r in rows if r['requestId'] not in live]
lv=[live.get(r['requestId'], float(r['score'])) for r in rows]
d=sorted(abs(a-b) for a,b in zip(lv,ev))
print(f"rows {len(rows)} live {len(live)} missing {len(missing)} duplicates {dups}")
print(f"base     auc {auc(y,base):.4f} logloss {ll(y,base):.4f}")
print(f"evaluate auc {auc(y,ev):.4f} logloss {ll(y,ev):.4f}")
print(f"live     auc {auc(y,lv):.4f} logloss {ll(y,lv):.4f}")
q=lambda p: d[min(len(d)-1,int(p*len(d)))]
print(f"|live-evaluate| p50 {q(.5):.2e} p90 {q(.9):.2e} p99 {q(.99):.2e} max {d[-1]:.2e}; exact {sum(1 for x in d if x==0)} within 1e-9 {sum(1 for x in d if x<1e-9)} within 0.01 {sum(1 for x in d if x<0.01)}")
