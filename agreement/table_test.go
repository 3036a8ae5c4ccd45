package agreement

import "testing"

// A 3×3 table worked by hand. Rows are gold, columns the model:
//
//	    a  b  c
//	a   4  1  0   (5)
//	b   1  2  1   (4)
//	c   0  0  1   (1)
//	   (5)(3)(2)  n = 10
//
// Po = 7/10; Pe = (5·5 + 4·3 + 1·2)/100 = 39/100; κ = (70 − 39)/(100 − 39)
// = 31/61. F1: a 2·4/(5+5) = 0.8, b 2·2/(4+3) = 4/7, c 2·1/(1+2) = 2/3;
// macro-F1 = (0.8 + 4/7 + 2/3)/3. Linear weights 0, ½, 1: observed
// disagreement Do = (½·(1+1+1+0) + 1·0)/10 = 0.15, expected De = Σ w·r_i·c_j
// /100 = (½(5·3 + 4·5 + 4·2 + 1·3) + 1(5·2 + 1·5))/100 = (23 + 15)/100 =
// 0.38; κw = 1 − 0.15/0.38.
func handTable() Table {
	t := NewTable(3)
	for _, x := range [][3]int{{0, 0, 4}, {0, 1, 1}, {1, 0, 1}, {1, 1, 2}, {1, 2, 1}, {2, 2, 1}} {
		for range x[2] {
			t.Add(x[0], x[1])
		}
	}
	return t
}

func TestTableByHand(t *testing.T) {
	tab := handTable()
	if tab.Items() != 10 || tab.Matches() != 7 {
		t.Fatalf("items %d matches %d, want 10 and 7", tab.Items(), tab.Matches())
	}
	obs, kappa := tab.Kappa()
	checkMetric(t, "observed", obs, 0.7, false)
	checkMetric(t, "kappa", kappa, 31.0/61, false)
	checkMetric(t, "macro F1", tab.MacroF1(), (0.8+4.0/7+2.0/3)/3, false)
	checkMetric(t, "weighted kappa", tab.WeightedKappa(), 1-0.15/0.38, false)
}

func TestTableDegenerate(t *testing.T) {
	empty := NewTable(2)
	if _, k := empty.Kappa(); k.Defined() {
		t.Errorf("kappa of an empty table is %v, want undefined", k.Float())
	}
	if empty.MacroF1().Defined() || empty.WeightedKappa().Defined() {
		t.Error("macro F1 or weighted kappa of an empty table is defined")
	}
	one := NewTable(2)
	one.Add(1, 1)
	one.Add(1, 1)
	if _, k := one.Kappa(); k.Defined() || k.Reason == "" {
		t.Errorf("kappa with one category in use: %+v, want undefined with a reason", k)
	}
	checkMetric(t, "macro F1 one category", one.MacroF1(), 1, false)
	if m := MeanKappa([]Metric{definedMetric(0.5), undefinedMetric("x"), definedMetric(0.25)}); m.Float() != 0.375 {
		t.Errorf("mean kappa %v, want 0.375", m.Float())
	}
}
