package agreement

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
)

// bootstrapMethod describes the interval in Interval.Method.
const bootstrapMethod = "percentile bootstrap, pairable items resampled with replacement"

// pcgStream is the fixed second PCG seed word; Options.Seed is the first.
const pcgStream = 0x9e3779b97f4a7c15

func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), pcgStream))
}

// Items with the same content contribute the same to alpha, so the
// bootstrap works on distinct item "profiles" and only counts how often each
// is drawn.

// singleProfile is the content of a pairable single-choice item: its number
// of values m and the count of each category present.
type singleProfile struct {
	m    int
	cats []int32
	cnts []int64
}

// singleIntervals are the bootstrap intervals of single-choice alphas.
type singleIntervals struct {
	nom, ord, itv, ratio *Interval
}

// bootstrapSingle returns intervals for nominal, ordinal, interval and
// ratio alpha (all but the first nil unless ordered, ratio nil when
// ratioD, its metric, is nil).
func bootstrapSingle(ctx context.Context, e *encoded, ordered bool, xs, ratioD []float64, opt Options) (ci singleIntervals, err error) {
	k := e.k
	var profiles []singleProfile
	ids := make(map[string]int32)
	var profOf []int32
	cnt := make([]int64, k)
	var touched []int32
	var key []byte
	for it := 0; it < e.nItems; it++ {
		lo, hi := int(e.start[it]), int(e.start[it+1])
		if hi-lo < 2 {
			continue
		}
		touched = touched[:0]
		for _, c := range e.val[lo:hi] {
			if cnt[c] == 0 {
				touched = append(touched, c)
			}
			cnt[c]++
		}
		slices.Sort(touched)
		key = key[:0]
		for _, c := range touched {
			key = binary.AppendUvarint(key, uint64(c))
			key = binary.AppendUvarint(key, uint64(cnt[c]))
		}
		id, ok := ids[string(key)]
		if !ok {
			id = int32(len(profiles))
			ids[string(key)] = id
			p := singleProfile{m: hi - lo, cats: slices.Clone(touched)}
			for _, c := range touched {
				p.cnts = append(p.cnts, cnt[c])
			}
			profiles = append(profiles, p)
		}
		for _, c := range touched {
			cnt[c] = 0
		}
		profOf = append(profOf, id)
	}
	if len(profOf) == 0 {
		return ci, nil
	}

	B := resamples(opt.Bootstrap, len(profOf))
	nomDelta := nominalDelta(k)
	itvDelta := intervalDelta(xs)
	var nomV, ordV, itvV, ratV []float64
	var nomU, ordU, itvU, ratU int
	rng := newRand(opt.Seed)
	w := make([]int64, len(profiles))
	o := make([]float64, k*k)
	nc := make([]float64, k)
	nP := len(profOf)
	for range B {
		if err := ctx.Err(); err != nil {
			return ci, err
		}
		clear(w)
		for range nP {
			w[profOf[rng.IntN(nP)]]++
		}
		clear(o)
		clear(nc)
		var n int64
		for p, wp := range w {
			if wp == 0 {
				continue
			}
			pr := &profiles[p]
			n += wp * int64(pr.m)
			f := float64(wp) / float64(pr.m-1)
			for i, c := range pr.cats {
				x := pr.cnts[i]
				nc[c] += float64(wp * x)
				for j, d := range pr.cats {
					y := pr.cnts[j]
					if i == j {
						y--
					}
					o[int(c)*k+int(d)] += f * float64(x*y)
				}
			}
		}
		collect := func(m Metric, vals *[]float64, undef *int) {
			if m.Defined() {
				*vals = append(*vals, *m.Value)
			} else {
				*undef++
			}
		}
		collect(alphaFrom(o, nc, float64(n), nomDelta), &nomV, &nomU)
		if ordered {
			collect(alphaFrom(o, nc, float64(n), ordinalDelta(nc)), &ordV, &ordU)
			collect(alphaFrom(o, nc, float64(n), itvDelta), &itvV, &itvU)
			if ratioD != nil {
				collect(alphaFrom(o, nc, float64(n), ratioD), &ratV, &ratU)
			}
		}
	}
	level := opt.level()
	ci.nom = percentileInterval(nomV, nomU, B, level)
	if ordered {
		ci.ord = percentileInterval(ordV, ordU, B, level)
		ci.itv = percentileInterval(itvV, itvU, B, level)
		if ratioD != nil {
			ci.ratio = percentileInterval(ratV, ratU, B, level)
		}
	}
	return ci, nil
}

// multiProfile is the content of a pairable multi-label item: its observed
// disagreement contributions and the count of each label set.
type multiProfile struct {
	doM, doJ, doN float64
	sets          []int32
	cnts          []int64
}

// bootstrapMulti returns intervals for MASI, Jaccard and nominal alpha.
func bootstrapMulti(ctx context.Context, e *encoded, opt Options) (masi, jac, nom *Interval, err error) {
	var profiles []multiProfile
	ids := make(map[string]int32)
	var profOf []int32
	var vals []int32
	var key []byte
	for it := 0; it < e.nItems; it++ {
		lo, hi := int(e.start[it]), int(e.start[it+1])
		m := hi - lo
		if m < 2 {
			continue
		}
		vals = append(vals[:0], e.val[lo:hi]...)
		slices.Sort(vals)
		key = key[:0]
		for _, s := range vals {
			key = binary.AppendUvarint(key, uint64(s))
		}
		id, ok := ids[string(key)]
		if !ok {
			id = int32(len(profiles))
			ids[string(key)] = id
			var p multiProfile
			for i, s := range vals {
				if i == 0 || s != vals[i-1] {
					p.sets = append(p.sets, s)
					p.cnts = append(p.cnts, 0)
				}
				p.cnts[len(p.cnts)-1]++
				for _, t := range vals[i+1:] {
					if s != t {
						dm, dj := e.setDist(s, t)
						p.doM += 2 * dm
						p.doJ += 2 * dj
						p.doN += 2
					}
				}
			}
			f := float64(m - 1)
			p.doM /= f
			p.doJ /= f
			p.doN /= f
			profiles = append(profiles, p)
		}
		profOf = append(profOf, id)
	}
	if len(profOf) == 0 {
		return nil, nil, nil, nil
	}
	B := resamples(opt.Bootstrap, len(profOf))
	var mV, jV, nV []float64
	var mU, jU, nU int
	rng := newRand(opt.Seed)
	w := make([]int64, len(profiles))
	marg := make([]int64, e.nSets())
	nP := len(profOf)
	for range B {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, err
		}
		clear(w)
		for range nP {
			w[profOf[rng.IntN(nP)]]++
		}
		clear(marg)
		var doM, doJ, doN float64
		for p, wp := range w {
			if wp == 0 {
				continue
			}
			pr := &profiles[p]
			f := float64(wp)
			doM += f * pr.doM
			doJ += f * pr.doJ
			doN += f * pr.doN
			for i, s := range pr.sets {
				marg[s] += wp * pr.cnts[i]
			}
		}
		am, aj, an := setAlphas(e, marg, doM, doJ, doN)
		for _, x := range []struct {
			m     Metric
			vals  *[]float64
			undef *int
		}{{am, &mV, &mU}, {aj, &jV, &jU}, {an, &nV, &nU}} {
			if x.m.Defined() {
				*x.vals = append(*x.vals, *x.m.Value)
			} else {
				*x.undef++
			}
		}
	}
	level := opt.level()
	return percentileInterval(mV, mU, B, level), percentileInterval(jV, jU, B, level), percentileInterval(nV, nU, B, level), nil
}

// percentileInterval returns the central level interval of vals, or nil
// when no resample gave a defined value.
// MaxBootstrapDraws bounds the work of one bootstrap: resamples times
// resampled items. Past it the number of resamples is cut (to no fewer
// than MinBootstrapResamples), and the interval's Resamples says how many
// were drawn. 1,000 resamples stay whole up to 200,000 pairable items.
const MaxBootstrapDraws = 200_000_000

// MinBootstrapResamples is the fewest resamples a bounded bootstrap draws.
const MinBootstrapResamples = 200

// resamples returns how many resamples to draw of items items when asked
// for b.
func resamples(b, items int) int {
	if items <= 0 || b*items <= MaxBootstrapDraws {
		return b
	}
	return min(b, max(MinBootstrapResamples, MaxBootstrapDraws/items))
}

func percentileInterval(vals []float64, undefined, resamples int, level float64) *Interval {
	if len(vals) == 0 {
		return nil
	}
	slices.Sort(vals)
	tail := (1 - level) / 2
	return &Interval{
		Level:     level,
		Lower:     quantile(vals, tail),
		Upper:     quantile(vals, 1-tail),
		Method:    bootstrapMethod,
		Resamples: resamples,
		Undefined: undefined,
	}
}

// quantile interpolates linearly between the order statistics of sorted x
// (type 7 of Hyndman & Fan 1996).
func quantile(x []float64, q float64) float64 {
	h := float64(len(x)-1) * q
	lo := math.Floor(h)
	i := int(lo)
	if i >= len(x)-1 {
		return x[len(x)-1]
	}
	return x[i] + (h-lo)*(x[i+1]-x[i])
}
