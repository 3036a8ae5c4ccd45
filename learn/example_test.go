package learn_test

import (
	"fmt"

	"concord/learn"
)

func ExampleTrain() {
	data := learn.Data{
		Texts: []string{
			"The match ended in a draw", "A late goal won the cup final", "The striker scored twice",
			"Shares fell on Monday", "The bank raised interest rates", "Oil prices rose sharply",
		},
		Labels: [][]string{{"sport"}, {"sport"}, {"sport"}, {"business"}, {"business"}, {"business"}},
	}
	model, err := learn.Train(data, learn.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, text := range []string{"Two goals in the final", "Interest rates and shares"} {
		p := model.Predict(text)
		best := 0
		for k := range p {
			if p[k] > p[best] {
				best = k
			}
		}
		fmt.Printf("%s: %s\n", text, model.Categories[best])
	}
	// Output:
	// Two goals in the final: sport
	// Interest rates and shares: business
}
